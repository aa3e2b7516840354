// vote end to end (plurality after normalisation, quorum, ties reported or judged, debate
// rounds) and moa (layers see the previous layer's answers; the aggregator merges), plus the
// normalisation and counting rules on their own.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "agents/patterns/vote_tally.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

// The vote an answer casts, or "(none)".
std::string vote_of(const json& answer, VoteNormalization mode) {
  auto vote = patterns::normalize_vote(answer, mode);
  return vote ? *vote : "(none)";
}

// Why an answer casts no vote, or "(a vote)".
std::string why_no_vote(const json& answer, VoteNormalization mode) {
  auto vote = patterns::normalize_vote(answer, mode);
  return vote ? "(a vote)" : vote.error().message;
}

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

TEST_F(VoteTest, AnAnswerWithSeveralNumbersCastsNoVoteAndIsReported) {
  // Issue 12: the first number was taken, so a voter hedging "41, or maybe 42, or 43" voted
  // 41 and, with the voter who said 41, outvoted the one who said 42.
  load({{"roles", {{"voter", {{"steps", texts({"41, or maybe 42, or 43", "41", "42"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "number"}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("tie between 2 answers: vote: ", 0), 0u) << result.error;
  EXPECT_EQ(result.details["valid_votes"], 2);
  auto dropped = events("result.dropped");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].data["reason"],
            "vote: the answer gives several different numbers (41, 42, 43)");
  EXPECT_EQ(events("vote.cast", dropped[0].agent_id).size(), 0u);
}

TEST_F(VoteTest, NumbersAreNotMadeUpFromOtherSpellings) {
  // "4,2" (a list, or a decimal comma) was read as 42; "\u22125" (a minus sign) as 5; and two
  // integers that differ in their 17th digit were one vote (12 significant digits).
  load({{"roles", {{"voter", {{"steps", texts({"4,2", "42", "17"})}}}}}});
  EXPECT_EQ(run(spec({{"n", 3}, {"normalization", "number"}})).status, TaskStatus::failed);
  EXPECT_EQ(events("vote.cast").size(), 2u);

  load({{"roles", {{"voter", {{"steps", texts({"\u22125", "5", "7"})}}}}}});
  TaskResult minus = run(spec({{"n", 3}, {"normalization", "number"}}));
  EXPECT_EQ(minus.status, TaskStatus::failed);
  EXPECT_EQ(minus.error.rfind("tie between 3 answers", 0), 0u) << minus.error;

  load({{"roles",
         {{"voter", {{"steps", texts({"12345678901234567", "12345678901234568", "1"})}}}}}});
  TaskResult big = run(spec({{"n", 3}, {"normalization", "number"}}));
  EXPECT_EQ(big.status, TaskStatus::failed);
  EXPECT_EQ(big.error.rfind("tie between 3 answers", 0), 0u) << big.error;
}

TEST_F(VoteTest, BlankAnswersAreNoVotes) {
  // Two blank answers outvoted one real one under "exact".
  load({{"roles", {{"voter", {{"steps", texts({" ", "\n ", "Paris"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "exact"}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("no quorum: the most common answer has 1 of 3 votes", 0), 0u)
      << result.error;
  EXPECT_EQ(events("result.dropped").size(), 2u);
}

TEST_F(VoteTest, JsonVotesWithDuplicateKeysAreNoVotes) {
  // {"city": "Lyon", "city": "Paris"} was read as Paris (the last key), which a reader taking
  // the first key would call a vote for Lyon.
  load({{"roles",
         {{"voter",
           {{"steps", texts({R"({"city": "Lyon", "city": "Paris"})", R"({"city": "Paris"})",
                             R"({"city": "Nice"})"})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"normalization", "json"}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("tie between 2 answers", 0), 0u) << result.error;
  auto dropped = events("result.dropped");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_NE(dropped[0].data["reason"].get<std::string>().find("duplicate key \"city\""),
            std::string::npos)
      << dropped[0].data["reason"];
}

TEST_F(VoteTest, DebatersSeeOnlyAnswersThatCount) {
  // A voter whose answer would not count (here: several numbers) does not sway the others.
  load({{"roles",
         {{"voter",
           {{"match", {{{"contains", "Other agents answered"}, {"text", "{{last_user}}"}}}},
            {"steps", texts({"7", "8", "8 or 9"})}}}}}});
  run(spec({{"n", 3}, {"debate_rounds", 1}, {"normalization", "number"}}));
  size_t debaters = 0;
  for (const json& request : requests_of("voter")) {
    const std::string prompt = request["last_user"];
    if (prompt.find("Other agents answered") == std::string::npos) continue;
    const std::string others = prompt.substr(prompt.find("Other agents answered"));
    EXPECT_EQ(others.find("8 or 9"), std::string::npos) << prompt;
    ++debaters;
  }
  EXPECT_EQ(debaters, 3u);
}

TEST_F(VoteTest, DebatePromptsShowEachAnswerCut) {
  // A voter's own previous answer was shown whole: a megabyte answer made a megabyte prompt.
  const std::string long_answer = "7" + std::string(100000, '!');
  load({{"roles",
         {{"voter",
           {{"match", {{{"contains", "Other agents answered"}, {"text", "7"}}}},
            {"steps", texts({long_answer, long_answer, long_answer})}}}}}});
  TaskResult result = run(spec({{"n", 3}, {"debate_rounds", 1}, {"normalization", "number"}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  size_t debaters = 0;
  for (const json& request : requests_of("voter")) {
    const std::string prompt = request["last_user"];
    if (prompt.find("Other agents answered") == std::string::npos) continue;
    EXPECT_LT(prompt.size(), 10000u);
    ++debaters;
  }
  EXPECT_EQ(debaters, 3u);
}

TEST(VoteTally, NumbersAreReadAsJsonWrites) {
  constexpr auto number = VoteNormalization::number;
  EXPECT_EQ(vote_of("4.2e1", number), "42");
  EXPECT_EQ(vote_of("4.2E+1", number), "42");
  EXPECT_EQ(vote_of("420e-1", number), "42");
  EXPECT_EQ(vote_of("1.5e-3", number), "0.0015");
  EXPECT_EQ(vote_of("-0.0", number), "0");
  EXPECT_EQ(vote_of(json(42.0), number), "42");
  EXPECT_EQ(vote_of(json(4.2e1), number), "42");
  // An exponent without digits is not part of the number: "2e" is 2, "the 3rd" is 3.
  EXPECT_EQ(vote_of("2e", number), "2");
  EXPECT_EQ(vote_of("about 7 eggs", number), "7");
  EXPECT_EQ(vote_of("the 3rd", number), "3");
  // JSON has no '+' sign, hex, inf or nan: "+5" is 5, "0x1A" is 0 and 1 (no vote), "inf" and
  // "nan" are no numbers.
  EXPECT_EQ(vote_of("+5", number), "5");
  EXPECT_EQ(vote_of("0x1A", number), "(none)");
  EXPECT_EQ(vote_of("inf", number), "(none)");
  EXPECT_EQ(vote_of("nan", number), "(none)");
  // A dot that no digit follows ends a sentence: "3." is 3.
  EXPECT_EQ(vote_of("It is 3.", number), "3");
  EXPECT_EQ(vote_of(".5", number), "0.5");
}

TEST(VoteTally, Normalisation) {
  EXPECT_EQ(vote_of("  The  Eiffel\tTower!! ", VoteNormalization::text), "the eiffel tower");
  EXPECT_EQ(vote_of("\"Paris\".", VoteNormalization::text), "paris");
  EXPECT_EQ(vote_of("...", VoteNormalization::text), "(none)");
  EXPECT_EQ(vote_of(" Paris ", VoteNormalization::exact), " Paris ");
  EXPECT_EQ(vote_of("x = -2.50 units", VoteNormalization::number), "-2.5");
  EXPECT_EQ(vote_of("1,234,567", VoteNormalization::number), "1234567");
  EXPECT_EQ(vote_of("no digits", VoteNormalization::number), "(none)");
  EXPECT_EQ(vote_of("{\"b\": 1, \"a\": [2]}", VoteNormalization::json), "{\"a\":[2],\"b\":1}");
  EXPECT_EQ(vote_of(json{{"b", 1}}, VoteNormalization::json), "{\"b\":1}");
  EXPECT_EQ(vote_of("{oops", VoteNormalization::json), "(none)");
}

TEST(VoteTally, ANoVoteSaysWhy) {
  EXPECT_EQ(why_no_vote("41, or maybe 42, or 43", VoteNormalization::number),
            "the answer gives several different numbers (41, 42, 43)");
  EXPECT_EQ(why_no_vote("1 2 3 4 5", VoteNormalization::number),
            "the answer gives several different numbers (1, 2, 3, ...)");
  EXPECT_EQ(why_no_vote("none", VoteNormalization::number), "no number in the answer");
  EXPECT_EQ(why_no_vote("1e99999999999", VoteNormalization::number),
            "the number 1e99999999999 is out of range");
  EXPECT_EQ(why_no_vote(std::string(100, '7') + " or 8", VoteNormalization::number),
            "the answer gives several different numbers (7." + std::string(35, '7') + "..., 8)");
  EXPECT_EQ(why_no_vote(" ", VoteNormalization::exact), "the answer is blank");
  EXPECT_EQ(why_no_vote("**", VoteNormalization::text),
            "nothing is left of the answer once normalised as text");
  EXPECT_EQ(why_no_vote("Paris", VoteNormalization::json), "the answer is not JSON");
  EXPECT_EQ(why_no_vote(R"({"a": 1, "a": 2})", VoteNormalization::json),
            "the answer is refused: /: duplicate key \"a\"");
}

TEST(VoteTally, AnAnswerCastsOnlyAVoteItReallyGives) {
  constexpr auto number = VoteNormalization::number;
  // Several different numbers: no vote; the same number twice is one.
  EXPECT_EQ(vote_of("41, or maybe 42, or 43", number), "(none)");
  EXPECT_EQ(vote_of("0.1 + 0.2", number), "(none)");
  EXPECT_EQ(vote_of("0x1A", number), "(none)");
  EXPECT_EQ(vote_of("1.2.3", number), "(none)");
  EXPECT_EQ(vote_of("The answer is 42. Final answer: 42.0", number), "42");
  EXPECT_EQ(vote_of(json{{"answer", 42}, {"confidence", 0.9}}, number), "(none)");
  // A comma groups thousands only in threes: "4,2" and "1,00" are two numbers.
  EXPECT_EQ(vote_of("4,2", number), "(none)");
  EXPECT_EQ(vote_of("1,00", number), "(none)");
  EXPECT_EQ(vote_of("1234,567", number), "(none)");
  EXPECT_EQ(vote_of("12,345,678.5", number), "12345678.5");
  // U+2212 is a minus sign.
  EXPECT_EQ(vote_of("\u22125", number), "-5");
  // Integers compare exactly, however large; other numbers to 12 significant digits.
  EXPECT_EQ(vote_of("12345678901234567", number), "12345678901234567");
  EXPECT_EQ(vote_of("123456789012345678901234567890", number),
            "1.2345678901234567890123456789e+29");
  EXPECT_EQ(vote_of("1e999", number), "1e+999");
  EXPECT_EQ(vote_of("1e21", number), "1e+21");
  EXPECT_EQ(vote_of("1e20", number), "100000000000000000000");
  EXPECT_EQ(vote_of("0.30000000000000004", number), "0.3");
  EXPECT_EQ(vote_of("0.000001", number), "0.000001");
  EXPECT_EQ(vote_of("1e-7", number), "1e-7");
  EXPECT_EQ(vote_of("1e99999999999", number), "(none)");  // exponent beyond reason
  // A blank answer is no vote, in every mode.
  EXPECT_EQ(vote_of(" \n", VoteNormalization::exact), "(none)");
  EXPECT_EQ(vote_of("** \"\" **", VoteNormalization::text), "(none)");
  // JSON: duplicate keys, deep nesting and integers a double cannot hold are no votes; 1 and
  // 1.0 are one.
  EXPECT_EQ(vote_of(R"({"a": 1, "a": 2})", VoteNormalization::json), "(none)");
  EXPECT_EQ(vote_of(std::string(100, '[') + std::string(100, ']'), VoteNormalization::json),
            "(none)");
  EXPECT_EQ(vote_of("[18446744073709551617]", VoteNormalization::json), "(none)");
  EXPECT_EQ(vote_of(R"({"a": 1.0, "b": [2e0, -0.0]})", VoteNormalization::json),
            R"({"a":1,"b":[2,0]})");
}

TEST(VoteTally, HugeAnswersNormaliseInLinearTime) {
  // Trimming quotes and emphasis erased one character at a time from the front: a megabyte of
  // "*" took minutes.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(vote_of(std::string(1 << 20, '*'), VoteNormalization::text), "(none)");
  EXPECT_EQ(
      vote_of(std::string(1 << 19, '"') + "x" + std::string(1 << 19, '"'), VoteNormalization::text),
      "x");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
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
