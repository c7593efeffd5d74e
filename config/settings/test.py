"""Test settings: the base settings with fast hashing and eager Celery unless a test asks for Redis."""
from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
DEBUG = False

# Fast tests: throttles high (a test of throttling sets its own); axes stays on (its own tests).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min"}}  # noqa: F405
