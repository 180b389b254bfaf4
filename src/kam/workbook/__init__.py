"""Reading, validating and writing workbooks of the kam contract."""
