"""Short (prompt, response) examples shared by the fine-tuning and TFDS tests."""

EXAMPLES = [
    ("How do I boil an egg?", "Place the egg in boiling water for nine minutes, then cool it in cold water."),
    ("Name a primary colour.", "Red is a primary colour."),
    ("What is 2 + 3?", "2 + 3 = 5."),
    ("Say hello in French.", "Bonjour!"),
    ("Give me a synonym for quick.", "Fast."),
    ("What is the capital of Italy?", "Rome is the capital of Italy."),
    ("Is the sun a star?", "Yes, the Sun is a star."),
    ("Spell cat backwards.", "tac"),
]
