"""The API's views: thin, as the portal's pages are (parse the call, one selector or
service, the answer)."""
