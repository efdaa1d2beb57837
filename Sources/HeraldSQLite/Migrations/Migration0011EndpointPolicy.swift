/// An endpoint's delivery policy (`EndpointPolicy`) as JSON text; NULL is the server's settings.
let migration0011EndpointPolicy = """
    ALTER TABLE endpoints ADD COLUMN policy TEXT;
    """
