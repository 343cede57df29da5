"""codewright.ui"""
