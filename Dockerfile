# Multi-stage build of covgapd and the covgap CLI on Debian 12 (bookworm).
#   docker build -t covgap .
#   docker run -p 50051:50051 -v covgap-data:/var/lib/covgap covgap
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgdal-dev libgeos-dev libproj-dev \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libsqlite3-dev libssl-dev libicu-dev libgtest-dev libgmock-dev libbenchmark-dev libpq-dev \
      libcpp-httplib-dev zlib1g-dev npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The dashboard's map library, as its package-lock.json pins it (embedded into covgapd).
RUN cd server/http/dashboard && rm -rf node_modules \
    && npm ci --ignore-scripts --omit=dev --no-audit --no-fund
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOVGAP_BUILD_TESTS=OFF \
      -DCOVGAP_BUILD_BENCH=OFF \
    && cmake --build /build \
    && install -D /build/server/covgapd/covgapd /out/usr/local/bin/covgapd \
    && install -D /build/server/cli/covgap /out/usr/local/bin/covgap

FROM debian:bookworm-slim AS runtime
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgdal32 libgeos-c1v5 libproj25 libgrpc++1.51 libprotobuf32 libsqlite3-0 libssl3 libicu72 libpq5 \
      libcpp-httplib0.11 \
      ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/covgap --create-home covgap
COPY --from=build /out/ /
USER covgap
VOLUME /var/lib/covgap
EXPOSE 50051
ENTRYPOINT ["covgapd", "--data", "/var/lib/covgap", "--listen", "0.0.0.0:50051"]
