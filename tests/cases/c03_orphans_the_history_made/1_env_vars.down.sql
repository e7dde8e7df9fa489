DROP TABLE env_vars;
