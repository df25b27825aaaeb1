"""公告公示 (DOMAIN §4.6): what must be noticed, notice records and the text of notice documents."""
