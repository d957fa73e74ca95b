#include "cli/command_line.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace gridledger::cli {

int RunCommandLine(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);  // prints what is wrong and "Run with --help for more information."
    return kExitUsage;
  }
  return exit_code;
}

int Report(absl::string_view command, const absl::Status& status, int failed) {
  std::fprintf(stderr, "gridledger %s: %s\n", std::string(command).c_str(),
               absl::IsInvalidArgument(status) ? std::string(status.message()).c_str()
                                               : status.ToString().c_str());
  return absl::IsInvalidArgument(status) ? kExitUsage : failed;
}

void AddClientFlags(CLI::App& command, ClientFlags& flags) {
  command.add_option("--target", flags.target, "the server, HOST:PORT")->capture_default_str();
  command.add_option("--token_file", flags.token_file,
                     "a file whose first line is the bearer token (else $GRIDLEDGER_TOKEN)");
  command.add_option("--tls_ca", flags.tls_ca,
                     "speak TLS, trusting this CA certificate (PEM) for the server's");
  command.add_option("--tls_cert", flags.tls_cert,
                     "speak TLS with this client certificate (PEM; mutual TLS), with --tls_key");
  command.add_option("--tls_key", flags.tls_key, "the client certificate's private key (PEM)");
  command.add_option("--tls_server_name", flags.tls_server_name,
                     "the name to expect in the server's certificate (default: --target's host)");
}

namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view flag, const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  if (!in || !(contents << in.rdbuf())) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  return contents.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> ClientChannel(const ClientFlags& flags) {
  if (flags.tls_ca.empty() && flags.tls_cert.empty() && flags.tls_key.empty()) {
    if (!flags.tls_server_name.empty()) {
      // Alone it would name a certificate on a plaintext channel: refused
      // rather than silently not checked.
      return absl::InvalidArgumentError(
          "--tls_server_name: names the server's TLS certificate, so it needs TLS: give "
          "--tls_ca (the CA that signed it)");
    }
    return grpc::CreateChannel(flags.target, grpc::InsecureChannelCredentials());
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  grpc::SslCredentialsOptions options;
  if (!flags.tls_ca.empty()) {
    GL_ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem("--tls_ca", flags.tls_ca));
  }
  if (!flags.tls_cert.empty()) {
    GL_ASSIGN_OR_RETURN(options.pem_cert_chain, ReadPem("--tls_cert", flags.tls_cert));
    GL_ASSIGN_OR_RETURN(options.pem_private_key, ReadPem("--tls_key", flags.tls_key));
  }
  grpc::ChannelArguments arguments;
  if (!flags.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(flags.tls_server_name);
  }
  return grpc::CreateCustomChannel(flags.target, grpc::SslCredentials(options), arguments);
}

absl::StatusOr<std::string> ClientToken(const ClientFlags& flags) {
  std::string token;
  if (!flags.token_file.empty()) {
    std::ifstream in(flags.token_file);
    if (!in || !std::getline(in, token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: cannot read ", flags.token_file));
    }
  } else if (const char* env = std::getenv("GRIDLEDGER_TOKEN")) {
    token = env;
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

}  // namespace gridledger::cli
