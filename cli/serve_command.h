// `gridledger serve` and `gridledger project`: run a server::Server (see
// server/server.h for what each serves) until SIGINT or SIGTERM; SIGUSR1
// writes a signed checkpoint now, SIGHUP reloads the tokens file. On start they print the server's
// banner line, "gridledger: serving on HOST:PORT … store URI views DIR". Exit: 0 after a clean
// shutdown, 2 for bad flags, 1 when the store cannot be opened or the port cannot be bound.
#ifndef GRIDLEDGER_CLI_SERVE_COMMAND_H_
#define GRIDLEDGER_CLI_SERVE_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddServeCommands(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_SERVE_COMMAND_H_
