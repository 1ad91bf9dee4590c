# Multi-stage build of tagflow on Debian 12; the runtime image runs as a
# non-root user and holds only the binary, its shared libraries, git's CA
# bundle, and the programs signing needs (gpg and gpg-agent behind GPGME,
# ssh-keygen for SSH signatures and their checks).
FROM debian:12 AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config git ca-certificates \
      libgit2-dev libcurl4-openssl-dev libyaml-cpp-dev libre2-dev nlohmann-json3-dev \
      libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libsqlite3-dev libcli11-dev \
      libcpp-httplib-dev libssl-dev libgpgme-dev libhiredis-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTAGFLOW_BUILD_TESTS=OFF -DTAGFLOW_BUILD_BENCH=OFF \
    && cmake --build /build --target tagflow \
    && strip /build/cli/tagflow

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libgit2-1.5 libcurl4 libyaml-cpp0.7 libre2-9 libspdlog1.10 libfmt9 \
      libsqlite3-0 libcpp-httplib0.11 libssl3 libgpgme11 libhiredis0.14 \
      gpg gpg-agent openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/tagflow --create-home tagflow
COPY --from=build /build/cli/tagflow /usr/local/bin/tagflow
USER 10001:10001
ENV TAGFLOW_CACHE_DIR=/var/lib/tagflow/cache
EXPOSE 3030 3031
ENTRYPOINT ["/usr/local/bin/tagflow"]
CMD ["daemon"]
