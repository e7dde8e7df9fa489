CREATE TABLE coupons (
    code TEXT PRIMARY KEY NOT NULL CHECK (code = upper(code)),
    percent_off INTEGER CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_cents INTEGER CHECK (amount_off_cents > 0),
    valid_until TEXT,
    CHECK ((percent_off IS NULL) <> (amount_off_cents IS NULL))
) WITHOUT ROWID;

CREATE TABLE order_coupons (
    order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    coupon_code TEXT NOT NULL REFERENCES coupons(code) ON UPDATE CASCADE,
    PRIMARY KEY (order_id, coupon_code)
) WITHOUT ROWID;

CREATE INDEX idx_order_coupons_coupon ON order_coupons(coupon_code);
