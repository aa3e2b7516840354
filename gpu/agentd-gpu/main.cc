// agentd-gpu: the GPU commands of `agentd gpu` on their own (list, selftest, contend), for
// machines where only the GPU part is wanted. See gpu/agentd-gpu/commands.h.
#include <iostream>

#include "gpu/agentd-gpu/commands.h"

int main(int argc, char** argv) {
  const gpu::tool::Program program{"agentd-gpu", {gpu::tool::self_path()}};
  return gpu::tool::run({argv + 1, argv + argc}, program, std::cout, std::cerr);
}
