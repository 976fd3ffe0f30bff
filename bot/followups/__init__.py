"""Services: the work a listener or a job asks for, against Slack and the database. Handlers call these;
these call the domain, the presentation builders and storage."""
