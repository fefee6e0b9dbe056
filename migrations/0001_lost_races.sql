CREATE TABLE `lost_races` (
	`resource` text NOT NULL,
	CONSTRAINT "lost_race" CHECK(0)
);
