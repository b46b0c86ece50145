module webhookguard

go 1.26
