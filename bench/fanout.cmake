# bench/fanout: agentd's fan_out at 1-512 workers against the scripted LLM server, and the same
# with LangGraph.js (bench/langgraph, installed by npm on first run; node_modules is ignored).
add_executable(fanout fanout.cc ${PROJECT_SOURCE_DIR}/tests/fixtures/scripted_llm/scripted_server.cc)
target_link_libraries(fanout PRIVATE agents policies agentd_warnings)
target_compile_definitions(fanout PRIVATE AGENTD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
