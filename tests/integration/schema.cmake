# The scenario JSON Schema (scenarios/schema/) and the loader (`mailconform lint`) agree on the
# shipped scenarios and on the good and bad test files (schema-agrees.py says how exactly).
add_test(NAME schema.agrees-with-loader
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/schema-agrees.py ${MC_CLI} ${MC_SRC})
set_tests_properties(schema.agrees-with-loader PROPERTIES TIMEOUT 120)
