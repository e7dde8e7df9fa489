DROP TABLE order_coupons;
DROP TABLE coupons;
