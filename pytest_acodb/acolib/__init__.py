"""The bundled acolib kit: the orchestrator's migrations, models and factories."""
