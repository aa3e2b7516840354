// The peer of bench/fanout: the same fan-out (planner → N workers → reducer) as a LangGraph.js
// graph, the workers spawned with the Send API, against the same scripted LLM server with an
// OpenAI-compatible client (plain fetch: one POST /chat/completions per turn, the role in the
// X-Agentd-Role header as agentd's client sends it).
//
//   node fanout.mjs --base-url http://127.0.0.1:PORT/v1 --workers 64 [--runs 1]
//
// Prints one JSON line per run: {"workers", "wall_ms", "cpu_ms", "turns", "max_rss_mb"}. The
// server's script (set by bench/fanout) makes the planner answer with N subtasks.
import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const baseUrl = option("base-url", "http://127.0.0.1:8099/v1");
const runs = Number(option("runs", "1"));
const workers = Number(option("workers", "1"));

async function chat(role, system, user) {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-agentd-role": role },
    body: JSON.stringify({
      model: "bench",
      messages: [
        { role: "system", content: system },
        { role: "user", content: user },
      ],
    }),
  });
  if (!response.ok) throw new Error(`${role}: HTTP ${response.status}`);
  const body = await response.json();
  return body.choices[0].message.content;
}

const State = Annotation.Root({
  prompt: Annotation(),
  subtasks: Annotation(),
  results: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }),
  answer: Annotation(),
});

const graph = new StateGraph(State)
  .addNode("planner", async (state) => {
    const plan = await chat("planner", "Split the task into subtasks.", state.prompt);
    return { subtasks: JSON.parse(plan).subtasks };
  })
  .addNode("worker", async (input) => ({
    results: [await chat("worker", "Solve one subtask.", input.subtask)],
  }))
  .addNode("reducer", async (state) => ({
    answer: await chat("reducer", "Merge the results.", state.results.join("\n")),
  }))
  .addEdge(START, "planner")
  .addConditionalEdges("planner", (state) =>
    state.subtasks.map((subtask) => new Send("worker", { subtask })), ["worker"])
  .addEdge("worker", "reducer")
  .addEdge("reducer", END)
  .compile();

for (let run = 0; run < runs; ++run) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const final = await graph.invoke({ prompt: `Fan out to ${workers} workers.` });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (final.results.length !== workers) {
    throw new Error(`expected ${workers} results, got ${final.results.length}`);
  }
  console.log(JSON.stringify({
    workers,
    wall_ms: wallMs,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    turns: workers + 2,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }));
}
