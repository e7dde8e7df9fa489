CREATE TABLE exchange_rates (
    currency TEXT NOT NULL,
    day TEXT NOT NULL,
    rate REAL NOT NULL CHECK (rate > 0),
    PRIMARY KEY (currency, day)
) STRICT;
