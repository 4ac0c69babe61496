# The image of a sharded run's pods (`proofdeck deploy k8s --image …`): built in a full Rust
# image, run from a slim Debian with the binary alone (the coordinator's pod needs `sh`).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/proofdeck

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 proofdeck && mkdir /reports && chown proofdeck /reports
COPY --from=build /src/target/release/proofdeck /usr/local/bin/proofdeck
USER proofdeck
ENTRYPOINT ["proofdeck"]
