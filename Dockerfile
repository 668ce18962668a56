# agent_exporter container image (docs/deploy.md, "Container").
#
#   docker build -t agent_exporter .
#   docker run -d --name agent_exporter -p 9478:9478 -p 4318:4318 \
#     -v agent_exporter-state:/var/lib/agent_exporter agent_exporter
#
# Docker does not run in the project's CI; tests/container/dockerfile_test.py checks what
# this file names instead: every COPY source and script exists, every runtime package
# exists in Debian 12 and together they provide every shared library the built binary
# loads, the shipped config passes check-config and matches EXPOSE, USER and VOLUME.

# Build: the same scripts as CI, on the same Debian release.
FROM debian:12-slim AS build
WORKDIR /src
# install-deps alone first, so the package layer is cached across source changes.
COPY .ci/install-deps .ci/install-deps
RUN .ci/install-deps
COPY . .
RUN AGX_TARGETS=agent_exporter .ci/build

# Runtime: the binary, the shared libraries it loads and nothing else.
FROM debian:12-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="agent_exporter" \
      org.opencontainers.image.description="Prometheus exporter for AI agents: native JSON-line events and OTLP in, /metrics out" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"
# One package per library `ldd build/src/app/agent_exporter` lists (mapped with dpkg -S;
# libc6, libcrypt1, libgcc-s1, libstdc++6 and zlib1g are already in the base image).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libc6 libcrypt1 libgcc-s1 libstdc++6 zlib1g libssl3 \
      libcivetweb1 libprometheus-cpp-core1.0 libsimdjson14 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 agent_exporter \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/agent_exporter \
      --no-create-home --shell /usr/sbin/nologin agent_exporter \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/agent_exporter
COPY --from=build /src/build/src/app/agent_exporter /usr/bin/agent_exporter
COPY config/agent_exporter.container.yml /etc/agent_exporter/agent_exporter.yml
COPY rules /usr/share/agent_exporter/rules
COPY dashboards /usr/share/agent_exporter/dashboards
USER 65532:65532
VOLUME /var/lib/agent_exporter
# 9478: /metrics, pushes, OTLP; 4318: OTLP/HTTP default port (config: otlp.listen_address).
EXPOSE 9478 4318
# No HEALTHCHECK: the slim image has no curl or wget to probe /-/ready with (and the
# binary has no probe subcommand); probe GET /-/ready from outside (Kubernetes
# readinessProbe, a load balancer).
ENTRYPOINT ["/usr/bin/agent_exporter"]
CMD ["serve", "--config.file=/etc/agent_exporter/agent_exporter.yml"]
