# GridLedger's container image: the Debian package built here, installed on
# debian:bookworm-slim the same way scripts/package-check installs it on a
# minimal root. The runtime stage needs no shell: it runs as user 10001 with
# an exec-form entrypoint (docs/PACKAGING.md).
#
#   docker build -t registry.example/gridledger:0.1.0 .
#   docker run --rm registry.example/gridledger:0.1.0 version

# Build stage: Debian 12 with the build dependencies (scripts/deps, in a
# layer of its own so a source change does not reinstall them), a Release
# build of the binary alone, then the .deb (cpack installs the built binary;
# with Ninja it compiles nothing more).
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/deps scripts/deps
RUN scripts/deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build-pkg -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build-pkg --target gridledger \
 && cpack --config build-pkg/CPackConfig.cmake -G DEB -B /out \
 && rm -rf /out/_CPack_Packages

# Runtime stage: bookworm-slim plus exactly what the package declares (apt
# resolves its Depends from Debian), and an unprivileged user whose home is
# the working directory (the store and views go there unless the
# configuration says otherwise).
FROM debian:bookworm-slim
COPY --from=build /out/gridledger_*.deb /tmp/
COPY packaging/install-runtime.sh /tmp/install-runtime.sh
RUN sh /tmp/install-runtime.sh /tmp/gridledger_*.deb \
 && rm -f /tmp/gridledger_*.deb /tmp/install-runtime.sh \
 && groupadd --gid 10001 gridledger \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home \
            --home-dir /var/lib/gridledger --shell /usr/sbin/nologin gridledger \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/gridledger
# Numeric, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/gridledger
# gRPC API, plaintext gRPC health (probes), Prometheus metrics: the ports a
# configuration like k8s/overlays/*/serve.toml listens on.
EXPOSE 50051 8081 9464
ENTRYPOINT ["/usr/bin/gridledger"]
# Serving needs a store, tokens and TLS: mount a serve.toml (keys as serve's
# flags) at this path, or pass other arguments (as the StatefulSets do).
CMD ["serve", "--config", "/etc/gridledger/serve.toml"]
