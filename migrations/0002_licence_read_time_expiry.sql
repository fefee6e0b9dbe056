ALTER TABLE `tenants` ADD `licence_when_absent` text DEFAULT 'pro' NOT NULL;--> statement-breakpoint
CREATE VIEW `current_licences` AS SELECT tenant_id, user_id, status, since,
    CASE WHEN status = 'downgraded' THEN downgraded_at END AS downgraded_at,
    CASE WHEN status = 'downgraded' THEN expires_at END AS expires_at
  FROM licences
  WHERE status = 'active' OR expires_at IS NULL OR expires_at > CAST(unixepoch('subsec') * 1000 AS INTEGER);