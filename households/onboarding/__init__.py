"""A new township (or school) and its first administrator, by the platform's operator: the command
`create_township` and the platform pages (/platform/townships/) both call `services.create_township`."""
