// `gridledger cluster status`: every partition of a clustered deployment with
// its owner, end offset and claim epoch, as one instance sees it
// (gridledger.v1.Cluster.Status; an admin token).
#ifndef GRIDLEDGER_CLI_CLUSTER_COMMAND_H_
#define GRIDLEDGER_CLI_CLUSTER_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddClusterCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_CLUSTER_COMMAND_H_
