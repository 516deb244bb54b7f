# compass: the bot image. Build: docker build -t compass .   Run: see docker-compose.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 compass
WORKDIR /app
COPY pyproject.toml README.md ./
COPY chatops ./chatops
COPY digests ./digests
RUN pip install .

USER compass
WORKDIR /home/compass
# ./config is mounted here by docker-compose; secrets come from the environment (.env).
VOLUME ["/home/compass/config"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["compass", "--config", "config/compass.yaml", "--log-format", "json", "-v"]
CMD ["run"]
