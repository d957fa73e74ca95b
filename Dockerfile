# GridLedger's container image: the Debian package built here, installed on
# debian:bookworm-slim the same way scripts/package-check installs it on a
# minimal root. The runtime stage needs no shell: it runs as user 10001 with
# an exec-form entrypoint.
#
#   docker build -t registry.example/gridledger:0.1.0 .
#   docker run --rm registry.example/gridledger:0.1.0 version

# Build stage: Debian 12 with the build dependencies (scripts/deps), a
# Release build of the binary alone, then the .deb (cpack).
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/deps \
 && cmake -S . -B build-pkg -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build-pkg --target gridledger \
 && cpack --config build-pkg/CPackConfig.cmake -G DEB -B /out \
 && rm -rf /out/_CPack_Packages

# Runtime stage: bookworm-slim plus exactly what the package declares.
FROM debian:bookworm-slim
COPY --from=build /out/gridledger_*.deb /tmp/
COPY packaging/install-runtime.sh /tmp/install-runtime.sh
RUN sh /tmp/install-runtime.sh /tmp/gridledger_*.deb \
 && rm -f /tmp/gridledger_*.deb /tmp/install-runtime.sh \
 && mkdir -p /var/lib/gridledger \
 && chown 10001:10001 /var/lib/gridledger
USER 10001:10001
WORKDIR /var/lib/gridledger
# gRPC API, plaintext health (probes), Prometheus metrics.
EXPOSE 50051 8081 9464
ENTRYPOINT ["/usr/bin/gridledger"]
CMD ["serve", "--config", "/etc/gridledger/serve.toml"]
