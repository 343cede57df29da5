"""codewright.tools"""
