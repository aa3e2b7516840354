# bench/ws_load (included from bench/CMakeLists.txt): 1,000 WebSocket clients against agentd.
find_package(OpenSSL REQUIRED)
add_executable(ws_load ws_load.cc ws_load_client.cc ws_load_stack.cc)
target_include_directories(ws_load PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(ws_load PRIVATE AGENTD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(ws_load PROPERTIES AGENTD_PCH beast)
target_link_libraries(ws_load PRIVATE base_ssl
                      Threads::Threads agentd_warnings)
