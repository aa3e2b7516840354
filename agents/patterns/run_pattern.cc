#include "agents/patterns/pattern.h"

namespace agents::patterns {

boost::asio::awaitable<PatternResult> run_pattern(runtime::TaskContext& task) {
  switch (task.spec.pattern) {
    case PatternKind::fan_out:
      return fan_out(task);
    case PatternKind::dag:
      return dag(task);
    case PatternKind::best_of_n:
      return best_of_n(task);
    case PatternKind::vote:
      return vote(task);
    case PatternKind::moa:
      return moa(task);
  }
  return fan_out(task);
}

}  // namespace agents::patterns
