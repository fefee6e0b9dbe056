CREATE TABLE `oauth_access_tokens` (
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`secret_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `client_id`, `token_hash`),
	FOREIGN KEY (`tenant_id`,`client_id`) REFERENCES `oauth_clients`(`tenant_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `oauth_client_secrets` (
	`tenant_id` text NOT NULL,
	`client_id` text NOT NULL,
	`id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	PRIMARY KEY(`tenant_id`, `client_id`, `id`),
	FOREIGN KEY (`tenant_id`,`client_id`) REFERENCES `oauth_clients`(`tenant_id`,`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_client_secrets_hash_uq` ON `oauth_client_secrets` (`tenant_id`,`client_id`,`secret_hash`);--> statement-breakpoint
CREATE TABLE `oauth_clients` (
	`tenant_id` text NOT NULL,
	`id` text NOT NULL,
	`label` text,
	`access_token_minutes` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `id`)
);
