FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY portal ./portal
COPY requests_app ./requests_app
COPY slo ./slo
COPY api ./api
COPY webhooks ./webhooks
RUN pip install --no-cache-dir .
COPY . .
RUN python scripts/compile_messages.py \
    && DEMO_MODE=1 python manage.py collectstatic --noinput
RUN useradd --create-home spt && mkdir -p /app/var && chown -R spt /app/var
USER spt
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--config", "python:portal.gunicorn_config", \
     "--bind", "0.0.0.0:8000", "--workers", "3"]
