# bench/best_of_n: best_of_n with 16 candidates x 8 tests against one candidate, and the test
# harness's cost per proxied call, with real sandboxes against the scripted LLM server (root).
add_executable(best_of_n best_of_n.cc ${PROJECT_SOURCE_DIR}/tests/fixtures/scripted_llm/scripted_server.cc)
target_link_libraries(best_of_n PRIVATE agents policies agentd_warnings)
target_compile_definitions(best_of_n PRIVATE AGENTD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
