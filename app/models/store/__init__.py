"""The bureau file: connection and migrations, Book.write (transaction, permission, audit), the hash-chained
audit log, closed months, lock, backups, users and permissions, attachments, the working-day calendar."""
