/// Where a message's delivery attempts find the trace of the request that published it.
let migration0009TraceParent = """
    ALTER TABLE messages ADD COLUMN trace_parent TEXT;
    """
