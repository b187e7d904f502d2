/* report.js — the filters of mailconform's HTML report (harness/render/render_html*.c).
 *
 * Embedded into the page at build time (tools/embed-asset.cmake) and allowed by its hash in
 * the page's Content-Security-Policy; it fetches nothing. Without it the page still shows
 * everything: the filter form stays hidden and every scenario is listed.
 *
 * Each scenario is a details element of class "scenario" carrying data-outcome, data-level,
 * data-protocols and data-tags (space-separated tokens, percent-encoded as
 * encodeURIComponent does). The filters select values per group (outcome, protocol, level,
 * tag): a scenario is shown when, in every group that restricts anything, one of its values is
 * selected. The state lives in the URL fragment too, e.g. #outcome=fail,error&protocol=imap, so
 * a link opens a view; a fragment without "=" is an ordinary anchor (a scenario is opened).
 * Errors of this script and refusals by the page's policy are written into #js-errors, so a
 * headless check of the page (tests/integration/report-html-browser.sh) sees them in the DOM.
 */
(function () {
  "use strict";
  var doc = document;
  var problems = [];

  function note(text) {
    problems.push(text);
    var box = doc.getElementById("js-errors");
    if (box) {
      box.textContent = "This page's script failed: " + problems.join("; ");
      box.hidden = false;
    }
  }
  window.addEventListener("error", function (e) {
    note((e.message || "error") + " (line " + (e.lineno || "?") + ")");
  });
  doc.addEventListener("securitypolicyviolation", function (e) {
    note("blocked by the page's Content-Security-Policy: " + e.violatedDirective + " " + (e.blockedURI || ""));
  });

  var GROUPS = ["outcome", "protocol", "level", "tag"];
  var ATTRIBUTE = { outcome: "outcome", protocol: "protocols", level: "level", tag: "tags" };
  var form = doc.getElementById("filters");
  var shownCount = doc.getElementById("shown-count");
  var scenarios = Array.prototype.slice.call(doc.querySelectorAll("details.scenario"));
  if (!form || !shownCount)
    return;

  function tokens(text) {
    return text ? text.split(" ").filter(function (t) { return t !== ""; }) : [];
  }
  function normalise(token) {
    try {
      return encodeURIComponent(decodeURIComponent(token));
    } catch (e) {
      return token;
    }
  }

  /* The controls of a group: checkboxes, or the options of a <select multiple>. */
  function controls(group) {
    var select = form.querySelector("select[name='" + group + "']");
    if (select)
      return { items: Array.prototype.slice.call(select.options), prop: "selected", allByDefault: false };
    return { items: Array.prototype.slice.call(form.querySelectorAll("input[name='" + group + "']")),
             prop: "checked", allByDefault: true };
  }

  /* The selected values of a group, or null when the group restricts nothing. */
  function selection(group) {
    var c = controls(group);
    var chosen = c.items.filter(function (i) { return i[c.prop]; }).map(function (i) { return i.value; });
    if (c.allByDefault ? chosen.length === c.items.length : chosen.length === 0)
      return null;
    return chosen;
  }

  function setSelection(group, values) {
    var c = controls(group);
    c.items.forEach(function (i) {
      i[c.prop] = values === null ? c.allByDefault : values.indexOf(i.value) >= 0;
    });
  }

  function matches(scenario, chosen) {
    return GROUPS.every(function (group) {
      if (chosen[group] === null)
        return true;
      var own = tokens(scenario.getAttribute("data-" + ATTRIBUTE[group]));
      return own.some(function (t) { return chosen[group].indexOf(t) >= 0; });
    });
  }

  function apply() {
    var chosen = {};
    GROUPS.forEach(function (g) { chosen[g] = selection(g); });
    var shown = 0;
    scenarios.forEach(function (s) {
      var visible = matches(s, chosen);
      s.hidden = !visible;
      if (visible)
        shown++;
    });
    shownCount.textContent = String(shown);
    return chosen;
  }

  function fragmentOf(chosen) {
    return GROUPS.filter(function (g) { return chosen[g] !== null; })
      .map(function (g) { return g + "=" + chosen[g].join(","); }).join("&");
  }

  function writeFragment(chosen) {
    var fragment = fragmentOf(chosen);
    var url = location.href.split("#")[0] + (fragment ? "#" + fragment : "");
    try {
      history.replaceState(null, "", url);
    } catch (e) {
      /* some browsers refuse replaceState on file: URLs; the filters still work */
    }
  }

  /* Applies a fragment: filters ("outcome=fail&tag=x") or an anchor (a scenario or step id). */
  function readFragment() {
    var fragment = location.hash.replace(/^#/, "");
    if (fragment.indexOf("=") < 0) {
      var target = fragment ? doc.getElementById(decodeURIComponent(fragment)) : null;
      var details = target && target.closest ? target.closest("details") : null;
      if (details)
        details.open = true;
      apply();
      return;
    }
    var wanted = {};
    fragment.split("&").forEach(function (part) {
      var eq = part.indexOf("=");
      var group = eq < 0 ? part : part.slice(0, eq);
      if (GROUPS.indexOf(group) >= 0)
        wanted[group] = (eq < 0 ? "" : part.slice(eq + 1)).split(",").filter(function (v) { return v !== ""; }).map(normalise);
    });
    GROUPS.forEach(function (g) { setSelection(g, g in wanted ? wanted[g] : null); });
    apply();
  }

  function setAllOpen(open) {
    scenarios.forEach(function (s) { if (!s.hidden) s.open = open; });
  }

  form.addEventListener("change", function () { writeFragment(apply()); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  doc.getElementById("filter-reset").addEventListener("click", function () {
    GROUPS.forEach(function (g) { setSelection(g, null); });
    writeFragment(apply());
  });
  doc.getElementById("open-all").addEventListener("click", function () { setAllOpen(true); });
  doc.getElementById("close-all").addEventListener("click", function () { setAllOpen(false); });
  window.addEventListener("hashchange", readFragment);

  /* Printing shows every scenario that the filters show, opened; afterwards as it was. */
  var openBeforePrint = null;
  window.addEventListener("beforeprint", function () {
    openBeforePrint = scenarios.map(function (s) { return s.open; });
    scenarios.forEach(function (s) { s.open = true; });
  });
  window.addEventListener("afterprint", function () {
    if (openBeforePrint)
      scenarios.forEach(function (s, i) { s.open = openBeforePrint[i]; });
    openBeforePrint = null;
  });

  form.hidden = false;
  readFragment();
  doc.documentElement.setAttribute("data-script", "ready");
})();
