// vote end to end (plurality after normalisation, quorum, ties reported or judged, debate
// rounds) and moa (layers see the previous layer's answers; the aggregator merges), plus the
// normalisation and counting rules on their own.
#include <gtest/gtest.h>

#include <set>

#include "agents/patterns/vote_tally.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

json texts(std::vector<std::string> answers) {
  json steps = json::array();
  for (auto& a : answers) steps.push_back({{"text", a}});
  return steps;
}

class VoteTest : public TaskTest {
 protected:
  json spec(json options) const {
    return {{"pattern", "vote"},
            {"prompt", "What is the capital of France?"},
            {"options", std::move(options)},
            {"roles", {{"voter", role("cheap", "reviewer")}}}};
  }
};

TEST_F(VoteTest, ThePluralityOfNormalisedAnswersWins) {
  load({{"roles",
         {{"voter", {{"steps", texts({"Paris", "paris.", "  **PARIS** ", "Lyon", "Nice"})}}}}}});
  TaskResult result = run(spec({{"n", 5}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["counts"][0], (json{{"answer", "paris"}, {"votes", 3}}));
  EXPECT_EQ(result.details["outcome"], "winner");
  const std::string answer = result.answer;
  EXPECT_NE(answer.find("aris"), std::string::npos);  // one of the original spellings
  EXPECT_EQ(events("vote.cast").size(), 5u);
}

TEST_F(VoteTest, WithoutQuorumOrWithATieThereIsNoAnswer) {
  load({{"roles", {{"voter", {{"steps", texts({"Paris", "Paris", "Lyon", "Nice", "Metz"})}}}}}});
  TaskResult no_quorum = run(spec({{"n", 5}, {"quorum", 0.6}}));
  EXPECT_EQ(no_quorum.status, TaskStatus::failed);
  EXPECT_EQ(no_quorum.error, "no quorum: the most common answer has 2 of 5 votes");

  load({{"roles", {{"voter", {{"steps", texts({"Paris", "Lyon", "Paris", "Lyon"})}}}}}});
  TaskResult tie = run(spec({{"n", 4}}));
  EXPECT_EQ(tie.status, TaskStatus::failed);
  EXPECT_EQ(tie.error, "tie between 2 answers");
  std::set<std::string> tied = tie.details["tied"].get<std::set<std::string>>();
  EXPECT_EQ(tied, (std::set<std::string>{"paris", "lyon"}));
}

TEST_F(VoteTest, ATieGoesToTheJudgeWhenAsked) {
  load({{"roles",
         {{"voter", {{"steps", texts({"Paris", "Lyon", "Paris", "Lyon"})}}},
          {"judge",
           {{"match",
             {{{"contains", "1. lyon"}, {"json", {{"choice", 1}}}},
              {{"contains", "2. lyon"}, {"json", {{"choice", 2}}}}}}}}}}});
  json judged = spec({{"n", 4}, {"ties", "judge"}});
  judged["roles"]["judge"] = role("strong", "reviewer");
  TaskResult result = run(judged);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, "Lyon");
  EXPECT_EQ(result.details["tie_judged"], true);
}

TEST_F(VoteTest, DebateRoundsLetVotersRevise) {
  // Round 0 splits; in round 1 every voter sees the others and settles on Paris.
  load({{"roles",
         {{"voter",
           {{"match", {{{"contains", "Other agents answered"}, {"text", "Paris"}}}},
            {"steps", texts({"Paris", "Lyon", "Nice"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"debate_rounds", 1}, {"quorum", 1.0}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, "Paris");
  EXPECT_EQ(result.details["counts"][0]["votes"], 3);
  EXPECT_EQ(events("vote.debate").size(), 1u);
  EXPECT_EQ(events("agent.started", "voter-2.r1").size(), 1u);
  const std::string revision = requests_of("voter")[3]["last_user"];
  EXPECT_NE(revision.find("Your previous answer:"), std::string::npos);
}

TEST_F(VoteTest, NumbersAndSchemasNormalise) {
  load({{"roles",
         {{"voter", {{"steps", texts({"The answer is 1,000.", "1000.0", "about 999"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "number"}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["counts"][0], (json{{"answer", "1000"}, {"votes", 2}}));

  // With an output schema, an answer that does not match goes back to its voter, who fixes it.
  load({{"roles",
         {{"voter",
           {{"steps", texts({"{\"city\": \"Paris\"}", "{\"city\": 3}", "{\"city\":\"Paris\"}"})},
            {"default", {{"text", "{\"city\": \"Paris\"}"}}}}}}}});
  json with_schema = spec({{"n", 3}, {"normalization", "json"}});
  with_schema["output_schema"] = {
      {"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}};
  TaskResult structured = run(with_schema);
  ASSERT_EQ(structured.status, TaskStatus::succeeded) << structured.error;
  EXPECT_EQ(structured.answer, (json{{"city", "Paris"}}));
  EXPECT_EQ(structured.details["counts"][0]["votes"], 3);
  EXPECT_EQ(events("answer.rejected").size(), 1u);
}

TEST_F(VoteTest, NumbersInAnyJsonSpellingAgree) {
  // Issue 11: "4.2e1" was read as 4.2, so three voters who agreed ended in no_quorum.
  load({{"roles", {{"voter", {{"steps", texts({"42", "42.0", "4.2e1"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "number"}, {"quorum", 1.0}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["counts"][0], (json{{"answer", "42"}, {"votes", 3}}));
  EXPECT_EQ(result.details["winner"], "42");
}

TEST_F(VoteTest, TheAnswerIsAWinningVotersTextAndDetailsHoldTheTalliedValue) {
  // Which voter gets which scripted step depends on arrival order, so the test accepts
  // either winning spelling; it must be a voter's own text, never the tallied "42".
  load({{"roles", {{"voter", {{"steps", texts({"Lyon", "The answer is 4.20e1.", "42.0"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "number"}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  const std::set<json> spellings = {"The answer is 4.20e1.", "42.0"};
  EXPECT_TRUE(spellings.count(result.answer)) << result.answer;
  EXPECT_EQ(result.details["winner"], "42");
}

TEST(VoteTally, NumbersAreReadAsJsonWrites) {
  using patterns::normalize_vote;
  constexpr auto number = VoteNormalization::number;
  EXPECT_EQ(normalize_vote("4.2e1", number), "42");
  EXPECT_EQ(normalize_vote("4.2E+1", number), "42");
  EXPECT_EQ(normalize_vote("420e-1", number), "42");
  EXPECT_EQ(normalize_vote("1.5e-3", number), "0.0015");
  EXPECT_EQ(normalize_vote("-0.0", number), "0");
  EXPECT_EQ(normalize_vote(json(42.0), number), "42");
  EXPECT_EQ(normalize_vote(json(4.2e1), number), "42");
  // An exponent without digits is not part of the number: "2e" is 2, "the 3rd" is 3.
  EXPECT_EQ(normalize_vote("2e", number), "2");
  EXPECT_EQ(normalize_vote("about 7 eggs", number), "7");
  EXPECT_EQ(normalize_vote("the 3rd", number), "3");
  // JSON has no '+' sign, hex, inf or nan: "+5" is 5, "0x1A" is 0, "inf" and "nan" are none.
  EXPECT_EQ(normalize_vote("+5", number), "5");
  EXPECT_EQ(normalize_vote("0x1A", number), "0");
  EXPECT_EQ(normalize_vote("inf", number), std::nullopt);
  EXPECT_EQ(normalize_vote("nan", number), std::nullopt);
  EXPECT_EQ(normalize_vote("1e999", number), std::nullopt);  // not a finite double
  // A dot that no digit follows ends a sentence: "3." is 3.
  EXPECT_EQ(normalize_vote("It is 3.", number), "3");
  EXPECT_EQ(normalize_vote(".5", number), "0.5");
}

TEST(VoteTally, Normalisation) {
  using patterns::normalize_vote;
  EXPECT_EQ(normalize_vote("  The  Eiffel\tTower!! ", VoteNormalization::text), "the eiffel tower");
  EXPECT_EQ(normalize_vote("\"Paris\".", VoteNormalization::text), "paris");
  EXPECT_EQ(normalize_vote("...", VoteNormalization::text), std::nullopt);
  EXPECT_EQ(normalize_vote(" Paris ", VoteNormalization::exact), " Paris ");
  EXPECT_EQ(normalize_vote("x = -2.50 units", VoteNormalization::number), "-2.5");
  EXPECT_EQ(normalize_vote("1,234,567", VoteNormalization::number), "1234567");
  EXPECT_EQ(normalize_vote("no digits", VoteNormalization::number), std::nullopt);
  EXPECT_EQ(normalize_vote("{\"b\": 1, \"a\": [2]}", VoteNormalization::json),
            "{\"a\":[2],\"b\":1}");
  EXPECT_EQ(normalize_vote(json{{"b", 1}}, VoteNormalization::json), "{\"b\":1}");
  EXPECT_EQ(normalize_vote("{oops", VoteNormalization::json), std::nullopt);
}

TEST(VoteTally, PluralityQuorumAndTies) {
  using patterns::decide_vote;
  using Kind = patterns::VoteDecision::Kind;
  EXPECT_EQ(decide_vote({"a", "b", "a"}, 3, 0.5).kind, Kind::winner);
  EXPECT_EQ(decide_vote({"a", "b", "a"}, 3, 0.5).winner, "a");
  EXPECT_EQ(decide_vote({"a", "b", "a"}, 5, 0.5).kind, Kind::no_quorum);  // 2 of 5 voters
  EXPECT_EQ(decide_vote({"a", "b", "a"}, 5, 0.5).winner, "");
  EXPECT_EQ(decide_vote({"a", "b"}, 2, 0.0).kind, Kind::tie);
  EXPECT_EQ(decide_vote({}, 3, 0.5).kind, Kind::no_votes);
  EXPECT_EQ(decide_vote({"a", "a", "a"}, 3, 1.0).kind, Kind::winner);
  auto counted = decide_vote({"b", "a", "a", "c", "b", "a"}, 6, 0.0);
  EXPECT_EQ(counted.counts,
            (std::vector<std::pair<std::string, size_t>>{{"a", 3}, {"b", 2}, {"c", 1}}));
}

class MoaTest : public TaskTest {};

TEST_F(MoaTest, LayersSeeThePreviousLayerAndTheAggregatorMerges) {
  load({{"roles",
         {{"proposer", {{"default", {{"text", "proposal {{n}}"}}}}},
          {"aggregator", {{"default", {{"json", {{"summary", "merged"}}}}}}}}}});
  json spec = {
      {"pattern", "moa"},
      {"prompt", "Write a haiku."},
      {"options", {{"layers", 2}, {"proposers", 3}}},
      {"roles",
       {{"proposer", role("cheap", "reviewer")}, {"aggregator", role("strong", "reviewer")}}},
      {"output_schema", {{"type", "object"}, {"required", {"summary"}}}}};
  TaskResult result = run(spec);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, (json{{"summary", "merged"}}));
  auto proposals = requests_of("proposer");
  ASSERT_EQ(proposals.size(), 6u);
  size_t saw_previous = 0;
  for (const json& r : proposals)
    saw_previous +=
        r["last_user"].get<std::string>().find("Answers from other agents") != std::string::npos;
  EXPECT_EQ(saw_previous, 3u);  // the second layer only
  const std::string aggregated = requests_of("aggregator")[0]["last_user"];
  EXPECT_NE(aggregated.find("proposer-2.3"), std::string::npos) << aggregated;
  EXPECT_EQ(aggregated.find("proposer-1.1"), std::string::npos);  // the last layer's answers
  EXPECT_EQ(result.details["layers"].size(), 2u);
}

}  // namespace
}  // namespace agents::testing
