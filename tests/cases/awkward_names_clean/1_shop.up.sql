CREATE TABLE "group" ("id" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL UNIQUE,
  "parent id" TEXT REFERENCES "group"("id") ON DELETE CASCADE);
CREATE TABLE "order" (
  "region" TEXT NOT NULL CHECK ("region" IN ('eu', 'us')),
  "no" INTEGER NOT NULL CHECK ("no" BETWEEN 1 AND 1000000),
  "group" TEXT NOT NULL REFERENCES "group"("id") ON DELETE RESTRICT,
  "code" TEXT NOT NULL CHECK (length("code") BETWEEN 4 AND 8),
  "payload" TEXT NOT NULL CHECK (json_valid("payload")),
  "is ""paid""" INTEGER NOT NULL DEFAULT 0 CHECK ("is ""paid""" IN (0, 1)),
  "weird.col" REAL CHECK ("weird.col" > 0.5),
  PRIMARY KEY ("region", "no")) WITHOUT ROWID;
CREATE TABLE "order line" (
  "id" INTEGER PRIMARY KEY,
  "region" TEXT NOT NULL, "no" INTEGER NOT NULL,
  "qty" INTEGER NOT NULL CHECK ("qty" > 0),
  "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  FOREIGN KEY ("region", "no") REFERENCES "order"("region", "no") ON DELETE CASCADE);
CREATE TRIGGER "order line touch" AFTER UPDATE OF "qty" ON "order line"
BEGIN UPDATE "order line" SET "updated_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE "id" = NEW."id"; END;
CREATE TABLE employees (id INTEGER PRIMARY KEY, boss_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE);
