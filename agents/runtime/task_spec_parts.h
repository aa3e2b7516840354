// Pieces of parse_task_spec and to_json(TaskSpec) shared by their files (task_spec_parse.cc,
// task_spec_repository.cc, task_spec_json.cc); not part of agents/'s face.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "base/expected.h"

namespace agents::spec_parts {

// Relative, no "..", no empty or "." components, no NUL: the workspace tools check again.
bool is_plain_relative_path(const std::string& path);

// A list of {path, content, encoding} at `pointer` ("/input_files"): at most 256 files of new
// plain relative paths, 16 MiB together.
base::Status parse_files(const nlohmann::json& files, const std::string& pointer,
                         std::vector<InputFile>& out);
nlohmann::json files_json(const std::vector<InputFile>& files);

// spec["repository"], after the pattern and tests are read (it checks them against each other).
base::Status parse_repository(const nlohmann::json& root, TaskSpec& spec);
nlohmann::json repository_json(const RepositorySpec& repository);

}  // namespace agents::spec_parts
