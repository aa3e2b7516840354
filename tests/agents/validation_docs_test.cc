// Every example in the tables of docs/validation.md holds: how an answer is read as JSON, what
// output_schema makes of it, and the vote it casts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/patterns/vote_tally.h"
#include "agents/runtime/json_schema.h"
#include "base/json_strict.h"

namespace agents {
namespace {

using nlohmann::json;
using Row = std::vector<std::string>;

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(' ');
  const size_t end = text.find_last_not_of(' ');
  return begin == std::string::npos ? "" : text.substr(begin, end + 1 - begin);
}

// A cell's text without the backticks of a code span around it (the whole cell, or what
// follows a label such as "refused: ").
std::string code(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
    return cell.substr(1, cell.size() - 2);
  return cell;
}

// The body rows of the table whose header row is `header`, each as its cells.
std::vector<Row> table(const std::string& header) {
  std::ifstream file(AGENTD_SOURCE_DIR "/docs/validation.md");
  std::vector<Row> rows;
  bool inside = false;
  for (std::string line; std::getline(file, line);) {
    if (line == header) {
      inside = true;
      continue;
    }
    if (!inside || line.rfind("| ---", 0) == 0) continue;
    if (line.empty() || line[0] != '|') break;
    Row cells;
    for (size_t start = 1, bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1)
      cells.push_back(trimmed(line.substr(start, bar - start)));
    rows.push_back(std::move(cells));
  }
  return rows;
}

TEST(ValidationDocs, AnswersAreReadAsTheTableSays) {
  const auto rows = table("| answer | read as |");
  ASSERT_GE(rows.size(), 8u);
  for (const Row& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    const std::string answer = code(row[0]);
    auto read = base::parse_json_strict(answer);
    std::string got;
    if (read)
      got = "`" + read->dump() + "`";
    else if (read.error().code == base::kNotJson)
      got = "not JSON";
    else
      got = "refused: `" + read.error().message + "`";
    EXPECT_EQ(got, row[1]) << answer;
  }
}

TEST(ValidationDocs, SchemasJudgeAsTheTableSays) {
  const auto rows = table("| schema | answer | result |");
  ASSERT_GE(rows.size(), 6u);
  for (const Row& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    const json schema = json::parse(code(row[0]));
    ASSERT_TRUE(runtime::check_schema(schema).ok()) << row[0];
    auto answer = base::parse_json_strict(code(row[1]));
    ASSERT_TRUE(answer.ok()) << row[1];
    const auto errors = runtime::validate(*answer, schema);
    const std::string got = errors.empty() ? "valid" : "`" + errors.front() + "`";
    EXPECT_EQ(got, row[2]) << row[0] << " " << row[1];
  }
}

TEST(ValidationDocs, AnswersCastTheVotesTheTableSays) {
  const auto rows = table("| normalization | answer | vote |");
  ASSERT_GE(rows.size(), 10u);
  for (const Row& row : rows) {
    ASSERT_EQ(row.size(), 3u);
    const std::map<std::string, VoteNormalization> modes = {{"exact", VoteNormalization::exact},
                                                            {"text", VoteNormalization::text},
                                                            {"number", VoteNormalization::number},
                                                            {"json", VoteNormalization::json}};
    ASSERT_TRUE(modes.count(row[0])) << row[0];
    const VoteNormalization mode = modes.at(row[0]);
    const json answer = json::parse(code(row[1]));  // a JSON string, exact to the space
    auto vote = patterns::normalize_vote(answer, mode);
    std::string got;
    if (!vote)
      got = "none: " + vote.error().message;
    else if (!vote->empty() && ((*vote)[0] == ' ' || vote->back() == ' '))
      got = "`" + json(*vote).dump() + "`";  // shown quoted, so that its spaces show
    else
      got = "`" + *vote + "`";
    EXPECT_EQ(got, row[2]) << row[1];
  }
}

}  // namespace
}  // namespace agents
