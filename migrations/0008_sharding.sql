CREATE TABLE `paused_writes` (
	`tenant_id` text NOT NULL,
	CONSTRAINT "tenant_writes_paused" CHECK(0)
);
--> statement-breakpoint
CREATE TABLE `tenant_moves` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`from_shard` text NOT NULL,
	`to_shard` text NOT NULL,
	`state` text NOT NULL,
	`progress` text DEFAULT '{}' NOT NULL,
	`verification` text,
	`error` text,
	`rows_copied` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`switched_at` integer,
	`finished_at` integer,
	`lease_owner` text,
	`lease_until` integer
);
--> statement-breakpoint
CREATE INDEX `tenant_moves_state_idx` ON `tenant_moves` (`state`,`updated_at`);--> statement-breakpoint
ALTER TABLE `events` ADD `origin` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `shard` text DEFAULT 'DB' NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `writes_paused_at` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `moved_to` text;--> statement-breakpoint
CREATE INDEX `tenants_shard_idx` ON `tenants` (`shard`,`id`);--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `shard_cursors` text DEFAULT '{}' NOT NULL;