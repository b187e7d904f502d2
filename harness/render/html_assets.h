/*
 * html_assets — the HTML report's stylesheet and script, reports/templates/report.css and
 * report.js, compiled in as byte arrays by tools/embed-asset.cmake (see CMakeLists.txt), so
 * the page needs no file beside it.
 */
#ifndef MC_RENDER_HTML_ASSETS_H
#define MC_RENDER_HTML_ASSETS_H

#include <stddef.h>

extern const unsigned char mc_asset_report_css[];
extern const size_t mc_asset_report_css_len;
extern const unsigned char mc_asset_report_js[];
extern const size_t mc_asset_report_js_len;

#endif
