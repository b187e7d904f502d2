# embed-asset.cmake — a text file made into a C byte array, at build time, so that the HTML
# report's stylesheet and script (reports/templates/report.css, report.js) are real files to
# edit and review, yet the page mailconform writes stays one self-contained file.
#
#   cmake -DINPUT=FILE -DOUTPUT=FILE.c -DNAME=identifier -P tools/embed-asset.cmake
#
# Defines `const unsigned char NAME[]` (the bytes, NUL-terminated) and `const size_t NAME_len` (without
# the NUL). A file that could end the element it is embedded in ("</style", "</script") or that
# holds a NUL is refused: the page would break, or its Content-Security-Policy hash would not
# match what the browser sees.
foreach(var INPUT OUTPUT NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed-asset.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${INPUT}" text)
string(TOLOWER "${text}" lowered)
if(lowered MATCHES "</(style|script)")
  message(FATAL_ERROR "${INPUT}: contains \"</${CMAKE_MATCH_1}\", which would end the element it is embedded in")
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
if(hex MATCHES "^(..)*00")
  message(FATAL_ERROR "${INPUT}: contains a NUL byte")
endif()
# 16 octets a line (CMake's regular expressions have no {n}: cut the hex in slices).
set(bytes "")
set(pos 0)
while(pos LESS hex_len)
  string(SUBSTRING "${hex}" ${pos} 32 slice)
  string(REGEX REPLACE "(..)" "0x\\1," slice "${slice}")
  string(APPEND bytes "    ${slice}\n")
  math(EXPR pos "${pos} + 32")
endwhile()
get_filename_component(in_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${in_name} by tools/embed-asset.cmake at build time: do not edit. */\n"
  "#include <stddef.h>\n\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const unsigned char ${NAME}[] = {\n${bytes}    0x00};\n"
  "const size_t ${NAME}_len = ${len};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
