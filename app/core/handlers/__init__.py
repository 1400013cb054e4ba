"""One module per request family: its validation, then its handlers, registered in the
dispatcher's table by the composition root."""
