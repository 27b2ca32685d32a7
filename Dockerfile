# CTI Bridge daemon. Build: docker build -t cti-bridge .
# Run:   docker run -p 8080:8080 -e CTI_DATABASE_URL=postgresql://... -v ./cti.toml:/etc/cti-bridge.toml \
#          cti-bridge run --config /etc/cti-bridge.toml
# The mounted file needs real secrets (`run` refuses the sample's change-me). FastAGI
# listens on the container's loopback and answers loopback only: for a PBX elsewhere add
#        -p 4573:4573 -e CTI_IVR_AGI_HOST=0.0.0.0 -e CTI_IVR_AGI_ALLOW=<the PBX's address>
FROM python:3.11-slim AS build
WORKDIR /src
# The runtime dependencies and the build backend at the versions and hashes of the lock.
COPY requirements.lock ./
RUN python -m venv /opt/cti-bridge \
 && /opt/cti-bridge/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY cti_bridge ./cti_bridge
COPY agent_ui ./agent_ui
RUN /opt/cti-bridge/bin/pip install --no-cache-dir --no-deps --no-build-isolation . \
 && /opt/cti-bridge/bin/pip check

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/cti-bridge cti
COPY --from=build /opt/cti-bridge /opt/cti-bridge
COPY config/cti-bridge.toml /etc/cti-bridge.toml
USER cti
WORKDIR /var/lib/cti-bridge
ENV PATH=/opt/cti-bridge/bin:$PATH \
    CTI_WEB_HOST=0.0.0.0 \
    CTI_DATABASE_URL=sqlite+aiosqlite:////var/lib/cti-bridge/cti.db
EXPOSE 8080 4573
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"
ENTRYPOINT ["cti-bridge"]
CMD ["run", "--config", "/etc/cti-bridge.toml"]
