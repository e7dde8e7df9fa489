DROP TABLE employees;
DROP TABLE "order line";
DROP TABLE "order";
DROP TABLE "group";
