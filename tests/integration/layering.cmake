# The layers' include roots (CMakeLists.txt, docs/ARCHITECTURE.md "Layers"): for each target,
# the headers it may include compile and those of the layers above or beside it are not found,
# with the include directories and definitions the target really compiles with.
set(MC_CHECK_LAYER ${CMAKE_CURRENT_SOURCE_DIR}/check-layer.sh)
function(mc_layer_test name target allowed forbidden)
  add_test(NAME layering.${name}
           COMMAND ${MC_CHECK_LAYER} ${MC_SRC} ${CMAKE_C_COMPILER}
                   "-I$<JOIN:$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>,;-I>"
                   "-D$<JOIN:$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>,;-D>"
                   -- ${allowed} -- ${forbidden}
           COMMAND_EXPAND_LISTS)
  set_tests_properties(layering.${name} PROPERTIES TIMEOUT 60)
endfunction()

# One header of each folder.
set(lib lib/buf.h)
set(proto proto/protocol.h)
set(engine engine/target.h)
set(reference reference/server.h)
set(render render/render.h)
set(cli cli/cli.h)
mc_layer_test(lib mailconform_lib "${lib}" "${proto};${engine};${reference};${render};${cli}")
mc_layer_test(core mailconform_core "${lib};${proto};${engine}" "${reference};${render};${cli}")
mc_layer_test(reference mailconform_reference "${lib};${reference}" "${proto};${engine};${render};${cli}")
mc_layer_test(render mailconform_render "${lib};${render}" "${proto};${engine};${reference};${cli}")
mc_layer_test(cli mailconform "${lib};${proto};${engine};${reference};${render};${cli}" "")

# Include roots cannot stop a path that climbs out of its folder: there must be none.
add_test(NAME layering.no-relative-includes
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/expect-exit.sh 1 - --
                 grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<][^\">]*\\.\\./"
                 ${MC_SRC}/harness ${MC_SRC}/servers-under-test ${MC_SRC}/tests)
