CREATE TABLE `event_feed` (
	`id` integer PRIMARY KEY NOT NULL,
	`pruned_through` integer DEFAULT 0 NOT NULL,
	`seq_floor` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`tenant_seq` integer NOT NULL,
	`occurred_at` integer NOT NULL,
	`type` text NOT NULL,
	`resource_id` text NOT NULL,
	`external_id` text,
	`data` text NOT NULL,
	`request_id` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_seq_uq` ON `events` (`tenant_id`,`tenant_seq`);--> statement-breakpoint
CREATE INDEX `events_resource_idx` ON `events` (`tenant_id`,`resource_id`,`tenant_seq`);--> statement-breakpoint
ALTER TABLE `tenant_stats` ADD `events_pruned_through` integer DEFAULT 0 NOT NULL;