CREATE TABLE `console_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `console_sessions_expiry_idx` ON `console_sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `setup_links` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`tenant_created_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`tokens_issued` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `test_connection_probes` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`request_id` text NOT NULL,
	`user_agent` text
);
